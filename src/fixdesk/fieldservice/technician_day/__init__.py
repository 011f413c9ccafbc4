"""The technician's day on the phone (issue 11, item 8): their schedule for a day, and "on my way", which
tells the customer when to expect them."""
