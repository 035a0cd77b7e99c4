import { _, api } from "./common.js";

const root = document.getElementById("faq-root");
const list = document.getElementById("faq-list");
const error = document.getElementById("faq-error");
const saved = document.getElementById("faq-saved");

function row(entry = { question: "", answer: "", source: "merchant" }) {
  const li = document.createElement("li");
  li.className = "faq-entry";
  const question = Object.assign(document.createElement("input"), {
    className: "faq-question", value: entry.question, maxLength: 300, placeholder: _("观众会怎么问，如：几天发货"),
  });
  const answer = Object.assign(document.createElement("textarea"), {
    className: "faq-answer", value: entry.answer, maxLength: 1000, rows: 2, placeholder: _("回答"),
  });
  const remove = Object.assign(document.createElement("button"), {
    type: "button", className: "btn btn-ghost faq-remove", textContent: _("删除"),
  });
  remove.addEventListener("click", () => li.remove());
  li.append(question, answer, remove);
  if (entry.source === "host_correction") {
    li.append(Object.assign(document.createElement("span"), { className: "tag", textContent: _("主播更正") }));
  }
  return li;
}

function show(message) {
  error.textContent = message;
  error.hidden = !message;
}

async function load() {
  try {
    const entries = await api("GET", "/api/shops/mine/faq");
    list.replaceChildren(...entries.map(row));
    root.dataset.state = "ready";
  } catch (failure) {
    show(failure.message);
    root.dataset.state = "error";
  }
}

document.getElementById("faq-add").addEventListener("click", () => list.append(row()));
document.getElementById("faq-save").addEventListener("click", async () => {
  const entries = [...list.querySelectorAll(".faq-entry")]
    .map((li) => ({
      question: li.querySelector(".faq-question").value.trim(),
      answer: li.querySelector(".faq-answer").value.trim(),
    }))
    .filter((entry) => entry.question && entry.answer);
  try {
    const stored = await api("PUT", "/api/shops/mine/faq", { entries });
    list.replaceChildren(...stored.map(row));
    show("");
    saved.hidden = false;
    root.dataset.state = "saved";
  } catch (failure) {
    show(failure.message);
  }
});
load();
