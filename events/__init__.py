"""Events people sign up for: sessions, workshops, webinars and partner meetings."""
