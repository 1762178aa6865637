"""Sales channels (Shopify, WooCommerce, ...): the stock feed they read and the order webhooks they send."""
