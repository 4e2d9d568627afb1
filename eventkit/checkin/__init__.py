"""The checkin feature: QR codes at the door, door links, the scanner page and its JSON API."""
