import Foundation

/// One subcommand of the `cyclegan` binary. `run` returns the process exit status.
protocol Command {
    static var name: String { get }
    static var summary: String { get }
    static func run(arguments: [String]) -> Int32
}

let commands: [Command.Type] = [
    TrainCommand.self, DevicesCommand.self, VerifyCommand.self, BenchCommand.self,
]

func printUsage() {
    print("usage: cyclegan <command> [options]\n\ncommands:")
    for command in commands {
        print("  " + command.name.padding(toLength: 11, withPad: " ", startingAt: 0) + command.summary)
    }
    print("\nRun 'cyclegan <command> --help' for the options of one command.")
}

let arguments = Array(CommandLine.arguments.dropFirst())
guard let commandName = arguments.first, !["-h", "--help", "help"].contains(commandName) else {
    printUsage()
    exit(arguments.isEmpty ? 2 : 0)
}
guard let command = commands.first(where: { $0.name == commandName }) else {
    FileHandle.standardError.write(Data("cyclegan: unknown command '\(commandName)'\n".utf8))
    printUsage()
    exit(2)
}
exit(command.run(arguments: Array(arguments.dropFirst())))
