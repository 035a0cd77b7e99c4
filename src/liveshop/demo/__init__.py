"""``liveshop demo``: a seeded live room on SQLite with a simulated audience.

``world`` seeds the shop, its room and its users, ``journey`` a buyer's history,
``audience``, ``shoppers``, ``attack`` and ``campaign`` are the scenes the simulated
people play, and ``runner`` serves the app and starts them (``run_demo``)."""
