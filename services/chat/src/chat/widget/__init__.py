"""The shop's chat widget, served by chat: its one script and stylesheet (vendored, no CDN, no
build step), and a demo shop page that embeds it with one script tag."""

from chat.widget.routes import widget_files_router

__all__ = ["widget_files_router"]
