"""Speed and memory measurements; run with `make benchmark`. They print figures, they assert nothing."""
