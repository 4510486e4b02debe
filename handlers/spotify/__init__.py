"""Spotify: linking a listener's account (PKCE), syncing their library, trending playlists."""
