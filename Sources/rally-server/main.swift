import ArgumentParser
import Logging
import Reactor
import Server

blockTerminationSignals()
raiseDescriptorLimit()
RallyCommand.main()
