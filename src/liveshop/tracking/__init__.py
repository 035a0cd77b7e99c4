"""Parcel tracking: shipments, carriers and the timeline of carrier events."""
