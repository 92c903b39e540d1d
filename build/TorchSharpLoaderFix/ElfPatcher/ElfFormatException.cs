namespace Precision.Build.Elf;

/// <summary>The file is not an ELF64 little-endian file, or its structures are missing or inconsistent.</summary>
public sealed class ElfFormatException : Exception
{
    public ElfFormatException()
    {
    }

    public ElfFormatException(string message)
        : base(message)
    {
    }

    public ElfFormatException(string message, Exception innerException)
        : base(message, innerException)
    {
    }
}
