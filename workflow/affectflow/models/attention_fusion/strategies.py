"""The fusion strategies' names as the paper's Table 6 prints them (no torch: the table and plot
jobs read them without loading the network)."""

STRATEGIES = {
    "concatenation": "Concatenation",
    "self_attention": "Self-attention",
    "hierarchical": "Hierarchical attention",
    "residual": "Residual self-attention",
    "cross_modal": "Cross-modal hierarchical self-attention",
}
