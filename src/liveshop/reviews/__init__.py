"""Reviews and ratings of delivered order lines, the shop's reply, helpful votes."""
