"""Storage adapters: DynamoDB tables, the S3 blob bucket, the events queue."""
