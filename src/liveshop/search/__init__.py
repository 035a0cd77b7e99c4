"""Search over products, rooms and shops on the database's own full-text index."""
