import ArgumentParser
import Foundation
import Service

struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Create API tokens.",
        subcommands: [New.self]
    )

    struct New: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "new",
            abstract: "Print a new random token and the line (its hash) to add to the token file.",
            discussion: "Only the hash goes into the token file; keep the token itself secret. Restart the service after editing the file.")

        @Option(help: "read (the API's read endpoints) or admin (also triggers scans).")
        var role: String = "read"

        @Option(help: "A name for the token, recorded in the token file.")
        var name: String?

        func run() throws {
            guard let r = TokenRole(rawValue: role) else { throw ValidationError("--role must be read or admin") }
            if let n = name, n.contains(where: { $0.isWhitespace || $0 == "#" }) {
                throw ValidationError("--name must not contain spaces or '#'")
            }
            let (token, line) = TokenStore.newToken(role: r, name: name)
            print("token: \(token)")
            print("add this line to the token file:")
            print(line)
        }
    }
}
