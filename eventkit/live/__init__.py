"""The live gathering: rounds with a timer, re-pairing from who arrived, the guest's now page, taps and outcomes."""
