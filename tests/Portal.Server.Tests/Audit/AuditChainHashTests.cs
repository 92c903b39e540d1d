using Precision.Portal.Server.Audit;

namespace Precision.Portal.Server.Tests.Audit;

public sealed class AuditChainHashTests
{
    private static readonly StoredAuditEvent Sample = new(
        42,
        "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
        "2026-03-28T23:30:00.1234567Z",
        "sub-7",
        "Dr. Ada Example",
        """["clinician","auditor"]""",
        "patient.view",
        "Success",
        "Patient/123",
        null,
        """{"note":"Grüße ✓"}""",
        "10.1.2.3",
        null,
        AuditChainHash.Genesis);

    [Fact]
    public void Hash_matches_the_documented_canonical_form_computed_independently()
    {
        // Computed with Python's hashlib from the format described on AuditChainHash. If this changes,
        // every existing chain stops verifying: add a new format version instead.
        Assert.Equal("2c074cecf67e14045b64890b79a2a296be334081d867a5297a053311468be823", AuditChainHash.Compute(Sample));
        Assert.True(AuditChainHash.Matches(Sample, "2c074cecf67e14045b64890b79a2a296be334081d867a5297a053311468be823"));
    }

    [Fact]
    public void Null_empty_and_shifted_field_boundaries_hash_differently()
    {
        var hashes = new[]
        {
            Sample,
            Sample with { Target = "" },
            Sample with { ActorSubject = "sub-", ActorDisplayName = "7Dr. Ada Example" },
            Sample with { Sequence = 43 },
        }.Select(e => AuditChainHash.Compute(e));

        Assert.Equal(4, hashes.Distinct().Count());
    }

    [Fact]
    public void Large_fields_beyond_the_stack_buffer_hash_the_same_way()
    {
        var big = Sample with { DetailsJson = new string('x', 100_000) };

        Assert.True(AuditChainHash.Matches(big, AuditChainHash.Compute(big)));
        Assert.NotEqual(AuditChainHash.Compute(Sample), AuditChainHash.Compute(big));
    }
}
