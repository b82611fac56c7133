"""Publishing: the tus 1.0.0 client and the durable upload queue. No Qt."""
