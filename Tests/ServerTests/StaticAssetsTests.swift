import Foundation
import Testing
@testable import Server

/// The server serves copies of clients/js/ compiled in (scripts/embed-web.sh writes them):
/// the copies must be the files.
@Suite struct StaticAssetsTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func embeddedCopiesMatchTheClientFiles() throws {
        let html = try String(contentsOf: Self.root.appendingPathComponent("clients/js/index.html"), encoding: .utf8)
        let js = try String(contentsOf: Self.root.appendingPathComponent("clients/js/rally.js"), encoding: .utf8)
        #expect(StaticAssets.indexHTML == html, "run scripts/embed-web.sh")
        #expect(StaticAssets.rallyJS == js, "run scripts/embed-web.sh")
    }
}
