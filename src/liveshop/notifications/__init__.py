"""Following hosts and shops, reminders for scheduled rooms, and the notification
centre: in-app notices, live delivery to open pages, email by opt-in."""
