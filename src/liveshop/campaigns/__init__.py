"""Social promotion: campaigns, tracking links and QR codes, ad spend, attribution of
room visits and paid orders, campaign metrics, KOL commissions, experiments (A/B
tests) and audiences."""
