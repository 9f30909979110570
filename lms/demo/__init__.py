"""The demo and benchmark data builder: it writes into every app, so it sits on top of them."""
