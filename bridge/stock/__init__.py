"""Stock per SKU and warehouse: the cloud's figures plus this till's movements; imports and counts."""
