import ArgumentParser
import Logging
import Reactor
import Server

blockTerminationSignals()
RallyCommand.main()
