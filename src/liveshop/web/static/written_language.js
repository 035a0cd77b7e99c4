// The language of what people typed (a room's title, a chat line, a review...), shown as it
// was written: the element holding it says its language with lang (docs/architecture.md,
// "Languages"). The rule is the server's, liveshop.core.languages.written_language: its table
// of scripts comes in the data block base.html writes, so both mark text the same way.

const SCRIPTS = (() => {
  const node = document.getElementById("written-scripts");
  if (!node) return [];
  try {
    return JSON.parse(node.textContent).map(([tag, characters]) => [tag, new RegExp(`[${characters}]`)]);
  } catch {
    return [];
  }
})();

/** The BCP 47 tag of the language `text` is written in ("zh", "en"...), or null when its
 * characters do not tell (no letters: a price, emoji; or a script several languages share). */
export function writtenLanguage(text) {
  if (text === undefined || text === null || text === "") return null;
  const written = String(text);
  for (const [tag, characters] of SCRIPTS) if (characters.test(written)) return tag;
  return null;
}

/** `node` shows `text`, something a person typed, as written (textContent, never HTML), and
 * says its language when it is known. */
export function showTyped(node, text) {
  node.textContent = text === undefined || text === null ? "" : String(text);
  const tag = writtenLanguage(text);
  if (tag) node.lang = tag;
  else node.removeAttribute("lang");
  return node;
}

/** A sentence of the page's (`template`, already in the page's language, with {name}
 * placeholders) as nodes to append: each of `words` (the page's own: a price, a count; or
 * nodes already made) as it is, each of `typed` (what people typed: a title, a name) in a
 * span saying its language. */
export function typedWords(template, words = {}, typed = {}) {
  const nodes = [];
  let last = 0;
  for (const match of template.matchAll(/\{(\w+)\}/g)) {
    nodes.push(template.slice(last, match.index));
    const name = match[1];
    if (Object.hasOwn(typed, name)) nodes.push(showTyped(document.createElement("span"), typed[name]));
    else if (Object.hasOwn(words, name)) nodes.push(...[].concat(words[name]).map((word) => (word instanceof Node ? word : String(word))));
    else nodes.push(match[0]);
    last = match.index + match[0].length;
  }
  nodes.push(template.slice(last));
  return nodes.filter((node) => node !== "");
}
