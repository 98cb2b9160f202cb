"""Serial scales: one parser per protocol, a stable-weight rule, and the serial line."""
