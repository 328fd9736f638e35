"""The update transaction: executor, verification, crash recovery."""
