import Reactor

blockTerminationSignals()
raiseDescriptorLimit()
BenchCommand.main()
