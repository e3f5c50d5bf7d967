"""The moderation panel: one home under /moderation/ with live counts, the comment queue, the
account's second factor. Business rules stay in services and selectors; views only translate."""
