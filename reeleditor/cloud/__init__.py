"""The reference cloud (reeleditor serve): ingest, processing, delivery. No Qt."""
