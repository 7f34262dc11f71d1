import V2VModel

// Each core error states its exit class (docs/exit-codes.md); see ``ClassifiedError``.

extension ConversionError: ClassifiedError {
  public var exitClass: ExitClass { .conversionFailed }
}

extension OutputError: ClassifiedError {
  public var exitClass: ExitClass { .outputFailed }
}

extension CopyError: ClassifiedError {
  public var exitClass: ExitClass { .outputFailed }
}

extension SourceDiskError: ClassifiedError {
  public var exitClass: ExitClass { .sourceInvalid }
}

extension PlanError: ClassifiedError {
  /// A source without disks is a bad source; every other planning failure is a bad option.
  public var exitClass: ExitClass { self == .noDisks ? .sourceInvalid : .usage }
}

extension JobCancelled: ClassifiedError {
  public var exitClass: ExitClass { .interrupted }
}
