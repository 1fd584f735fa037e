"""Data the project makes for itself, apart from the product code: synthetic tickets
(`demo.tickets`, what `make demo` trains on, with drift knobs) and simulated traffic
(`demo.traffic`, prediction logs and delayed labels of a registered model, for trying, testing
and benchmarking monitoring and A/B analysis without a running server)."""
