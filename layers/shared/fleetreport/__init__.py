"""fleetreport: the shared package every Lambda function of the service imports (the layer)."""
