// The module's only use of Foundation: JSONSerialization parses the token's header and claims.
// Everything it returns is converted to `JSONValue` here, so Foundation's bridged types
// (NSNumber that is also a Bool, NSDecimalNumber, NSNull) never reach the verification code.
private import Foundation

/// A JSON value as the verifier needs to see it.
enum JSONValue: Equatable {
    case null
    case bool(Bool)
    case string(String)
    /// A number written without fraction or exponent that fits Int64, or a float whose value
    /// is integral and fits Int64 (JSONSerialization does not say which form was written).
    case integer(Int64)
    /// Any other number (fractional, or outside Int64).
    case float(Double)
    case array([JSONValue])
    /// Nested objects are only ever checked for presence, so their members are dropped.
    case object

    /// The members of a top-level JSON object, or nil if `bytes` is not UTF-8 JSON whose top
    /// level is an object. Nesting is bounded by JSONSerialization (512 levels) and the input
    /// by the verifier's token size limit.
    static func parseObject(_ bytes: [UInt8]) -> [String: JSONValue]? {
        // JSONSerialization also sniffs UTF-16 and UTF-32; RFC 7515 §4 says UTF-8.
        guard String(validating: bytes, as: UTF8.self) != nil else { return nil }
        guard let parsed = try? JSONSerialization.jsonObject(with: Data(bytes)),
              let object = parsed as? [String: Any] else { return nil }
        return object.mapValues(convert)
    }

    private static func convert(_ value: Any) -> JSONValue {
        switch value {
        case let string as String:
            return .string(string)
        case let number as NSNumber:
            // Booleans arrive as NSNumber too (and `as? Int64` would turn true into 1); the
            // type encoding of a boolean is `c` (char) or `B` (C99 bool).
            let encoding = String(cString: number.objCType)
            if encoding == "c" || encoding == "B" { return .bool(number.boolValue) }
            if let exact = number as? Int64 { return .integer(exact) }
            return .float(number.doubleValue)
        case let array as [Any]:
            return .array(array.map(convert))
        case is [String: Any]:
            return .object
        default:
            return .null
        }
    }
}
