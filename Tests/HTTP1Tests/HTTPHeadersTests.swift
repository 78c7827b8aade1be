@testable import HTTP1
import Testing

@Suite("HTTPHeaders")
struct HTTPHeadersTests {
    @Test func lookupIsCaseInsensitiveAndKeepsOrder() {
        var headers = HTTPHeaders()
        headers.add("Set-Cookie", "a=1")
        headers.add("Content-Type", "text/plain")
        headers.add("set-cookie", "b=2")
        #expect(headers.count == 3)
        #expect(headers["SET-COOKIE"] == "a=1")
        #expect(headers["content-type"] == "text/plain")
        #expect(headers["Missing"] == nil)
        #expect(headers.values("Set-Cookie") == ["a=1", "b=2"])
        #expect(headers.values("Missing") == [])
        #expect(headers.contains("CONTENT-TYPE"))
        #expect(!headers.contains("Content-Typ"))
        #expect(headers.map(\.name) == ["Set-Cookie", "Content-Type", "set-cookie"])
    }

    @Test func tokensSplitTrimAndLowercaseEveryValue() {
        let headers: HTTPHeaders = ["Connection": "keep-alive, Upgrade", "X": "y", "connection": " ,\tTE ,,"]
        #expect(headers.tokens("Connection") == ["keep-alive", "upgrade", "te"])
        #expect(headers.tokens("Missing") == [])
    }

    @Test func containsTokenMatchesTrimmedCaseInsensitiveElements() {
        let headers: HTTPHeaders = ["Connection": "keep-alive,\tUpgrade ", "connection": "x, , TE"]
        #expect(headers.containsToken("CONNECTION", "upgrade"))
        #expect(headers.containsToken("Connection", "KEEP-ALIVE"))
        #expect(headers.containsToken("Connection", "te"))
        #expect(!headers.containsToken("Connection", "upgrad"))
        #expect(!headers.containsToken("Connection", "keep-alive,\tUpgrade"))
        #expect(!headers.containsToken("Connection", ""))
        #expect(!headers.containsToken("Upgrade", "upgrade"))
    }

    @Test func countNamed() {
        let headers: HTTPHeaders = ["Host": "a", "X": "1", "host": "b"]
        #expect(headers.count(named: "HOST") == 2)
        #expect(headers.count(named: "X") == 1)
        #expect(headers.count(named: "Y") == 0)
    }

    @Test func tokenCharactersAreExactlyRFC9110Tchar() {
        let tchar = Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(ASCII.isTokenChar(byte) == tchar.contains(byte), "byte \(byte)")
        }
    }

    @Test func listElementsKeepCase() {
        let headers: HTTPHeaders = ["Sec-WebSocket-Protocol": "Chat.V2, superChat"]
        #expect(headers.listElements("sec-websocket-protocol") == ["Chat.V2", "superChat"])
    }

    @Test func removeDropsEveryField() {
        var headers: HTTPHeaders = ["A": "1", "B": "2", "a": "3"]
        headers.remove("A")
        #expect(headers == ["B": "2"])
    }

    @Test func equalityIsExactAndOrdered() {
        let ab: HTTPHeaders = ["A": "1", "B": "2"]
        #expect(ab == HTTPHeaders([("A", "1"), ("B", "2")]))
        #expect(ab != ["B": "2", "A": "1"])
        #expect(ab != ["a": "1", "B": "2"])
    }
}
