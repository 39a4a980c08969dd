"""The reading model: its weights, model card, and the code that trains and exports them
(`qa train reader`; README.md here)."""
