"""The embeddable status widget: /widget.js, the /embed/<slug>/ iframe page and its report."""
