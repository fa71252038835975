"""The job queue: analysis requests with a lease (claims, heartbeats, guarded writes), the lease guard of a running job, the lease of a direct run, and the job settings."""
