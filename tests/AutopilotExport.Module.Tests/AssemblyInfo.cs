using Xunit;

// The state folder comes from a process-wide environment variable ($env:AUTOPILOTEXPORT_HOME): one test at a time.
[assembly: CollectionBehavior(DisableTestParallelization = true)]
