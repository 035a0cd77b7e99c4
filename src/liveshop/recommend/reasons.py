"""Why an item is shown: a kind (stable, for pages to word in their language) and
its subject (a product title, a category, a host or shop name), and the English
sentence the API gives."""

from __future__ import annotations

ENGLISH = {
    "because_you_watched": "because you watched {subject}",
    "because_you_just_looked_at": "because you just looked at {subject}",
    "similar_to": "similar to {subject}",
    "on_the_shelf": "on the shelf in this room",
    "popular_in": "popular in {subject}",
    "popular": "popular now",
    "buy_again": "buy again",
    "picked_for_you": "picked for you",
    "followed_host": "because you follow {subject}",
    "reminder_set": "you asked to be reminded",
    "followed_shop": "from {subject}, a shop you follow",
    "watched_host": "because you watched {subject}",
    "just_watched_host": "because you just watched {subject}",
    "new_host": "new host: {subject}",
    "popular_live": "popular live now",
    "live_now": "live now",
    "starting_soon": "starting soon",
}


def sentence(kind: str, subject: str = "") -> str:
    return ENGLISH[kind].format(subject=subject)
