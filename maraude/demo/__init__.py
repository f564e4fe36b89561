"""The demo: French posts we wrote, served in real platforms' formats on 127.0.0.1."""
