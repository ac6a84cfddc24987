/// A value that can lend its bytes to LMDB as a key or a value without copying.
public protocol RawBytesConvertible {
    func withRawBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result
}

extension UnsafeRawBufferPointer: RawBytesConvertible {
    @inlinable
    public func withRawBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(self)
    }
}

extension Array: RawBytesConvertible where Element == UInt8 {
    @inlinable
    public func withRawBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(body)
    }
}

extension ArraySlice: RawBytesConvertible where Element == UInt8 {
    @inlinable
    public func withRawBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(body)
    }
}

extension String: RawBytesConvertible {
    /// The string's UTF-8 bytes.
    @inlinable
    public func withRawBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        var copy = self
        return try copy.withUTF8 { try body(UnsafeRawBufferPointer($0)) }
    }
}

extension UInt64: RawBytesConvertible {
    /// The integer in the machine's native byte order, as `MDB_INTEGERKEY` expects.
    @inlinable
    public func withRawBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withUnsafeBytes(of: self, body)
    }
}

extension UnsafeRawBufferPointer {
    /// Reads a native-order `UInt64` stored by `UInt64.withRawBytes` (an `MDB_INTEGERKEY` key).
    @inlinable
    public func loadNativeUInt64() -> UInt64? {
        guard count == MemoryLayout<UInt64>.size else { return nil }
        return loadUnaligned(as: UInt64.self)
    }
}
