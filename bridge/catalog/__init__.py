"""The local catalog: products, barcodes, variants, and search."""
