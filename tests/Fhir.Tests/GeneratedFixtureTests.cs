using Hl7.Fhir.Model;
using Precision.Clinical;
using Precision.Clinical.Catalog;

namespace Precision.Fhir.Tests;

/// <summary>The mapper on the cohort generator's own records (tests/fixtures/fhir), which cover every resource shape it writes.</summary>
public sealed class GeneratedFixtureTests
{
    private static readonly string FixtureDirectory = Path.Combine(RepositoryRoot(), "tests", "fixtures", "fhir");
    private readonly PatientProfileMapper _mapper = new(new CatalogTherapyResolver(TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(RepositoryRoot()))));

    public static TheoryData<string> Fixtures()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.EnumerateFiles(FixtureDirectory, "*.json").Order(StringComparer.Ordinal))
        {
            data.Add(Path.GetFileName(file));
        }

        return data;
    }

    [Theory]
    [MemberData(nameof(Fixtures))]
    public void Every_generated_record_maps_with_demographics_a_primary_cancer_and_only_explained_data_quality_entries(string fixture)
    {
        var (patientId, resources) = Load(fixture);

        var profile = _mapper.Map(patientId, resources);

        Assert.NotEqual("Unknown patient", profile.Demographics.DisplayName);
        Assert.NotNull(profile.Demographics.MedicalRecordNumber);
        Assert.NotNull(profile.PrimaryCancer);
        Assert.NotEqual(CancerType.Other, profile.PrimaryCancer.CancerType);
        Assert.NotEmpty(profile.Labs);
        Assert.NotEmpty(profile.TherapyLines);
        Assert.All(profile.TherapyLines, l => Assert.NotNull(l.CatalogTherapyId));
        Assert.DoesNotContain(profile.DataQuality, i => i.Severity == DataQualitySeverity.Error);
        // Everything the generator writes is read, except what it writes as deliberate real-world noise.
        Assert.All(profile.DataQuality, i => Assert.Matches("entered-in-error|EnteredInError|duplicates|2823-3|DiagnosticReport", i.Message));
    }

    [Fact]
    public void The_example_nsclc_patient_has_its_egfr_variant_biomarkers_lines_and_responses()
    {
        var (patientId, resources) = Load("example-patient-bundle.json");

        var profile = _mapper.Map(patientId, resources);

        Assert.Equal(CancerType.NonSmallCellLungCancer, profile.PrimaryCancer!.CancerType);
        Assert.Contains(profile.Variants, v => v.Gene == "EGFR" && v.Origin == GenomicSourceClass.Somatic && v.ProteinChange!.StartsWith("p.", StringComparison.Ordinal));
        Assert.NotNull(profile.TumorMutationalBurden);
        Assert.NotNull(profile.Microsatellite);
        Assert.NotNull(profile.PdL1);
        Assert.NotNull(profile.TCellInflamedSignature);
        Assert.Equal(2, profile.Pharmacogenomics.Count);
        Assert.All(profile.Pharmacogenomics, p => Assert.NotNull(p.Phenotype));
        Assert.Contains(profile.TherapyLines, l => l.BestResponse is not null);
        Assert.NotNull(profile.Stage);
        Assert.NotNull(profile.Ecog);
        Assert.NotEqual(SmokingStatusCategory.Unknown, profile.Smoking!.Category);
    }

    [Theory]
    [InlineData("nsclc-alk-fusion.json")]
    public void Fusions_are_read_with_their_five_prime_partner_first(string fixture)
    {
        var (patientId, resources) = Load(fixture);
        var fusion = Assert.Single(_mapper.Map(patientId, resources).Fusions);
        Assert.Equal("ALK", fusion.ThreePrimeGene);
    }

    [Fact]
    public void Copy_number_msi_and_messy_records_are_read_as_the_generator_documents()
    {
        var (erbb2Id, erbb2) = Load("breast-erbb2-amplification.json");
        var breast = _mapper.Map(erbb2Id, erbb2);
        Assert.Contains(breast.CopyNumberAlterations, c => c.Gene == "ERBB2" && c.Change == CopyNumberChange.Amplification);
        Assert.NotNull(breast.EstrogenReceptor);

        var (crcId, crc) = Load("crc-msi-high-cea.json");
        var colorectal = _mapper.Map(crcId, crc);
        Assert.Equal(MicrosatelliteStatus.InstabilityHigh, colorectal.Microsatellite!.Status);
        Assert.Contains(colorectal.Labs, l => l.Analyte == LabAnalyte.CarcinoembryonicAntigen);

        var (secondId, second) = Load("second-primary.json");
        Assert.Equal(2, _mapper.Map(secondId, second).PrimaryCancers.Count);

        var (ungroupedId, ungrouped) = Load("ungrouped-medications.json");
        var lines = _mapper.Map(ungroupedId, ungrouped).TherapyLines;
        Assert.Equal(lines.Count, lines.Select(l => l.StartedOn).Distinct().Count());

        var (messyId, messy) = Load("messy-units-and-errors.json");
        var profile = _mapper.Map(messyId, messy);
        Assert.Contains(profile.DataQuality, i => i.Message.Contains("entered-in-error", StringComparison.OrdinalIgnoreCase) || i.Message.Contains("EnteredInError", StringComparison.Ordinal));
        Assert.All(profile.Labs.Where(l => l.Analyte == LabAnalyte.Albumin), l => Assert.InRange(l.Value, 1.5m, 6m));

        var (unstagedId, unstaged) = Load("messy-missing-stage-unknown-loinc.json");
        Assert.Null(_mapper.Map(unstagedId, unstaged).Stage);
    }

    private static (string PatientId, List<Resource> Resources) Load(string fixture)
    {
        var resources = TransactionBundles.ResourcesWithLocalReferences(File.ReadAllText(Path.Combine(FixtureDirectory, fixture)));
        return (resources.OfType<Patient>().Single().Id!, resources);
    }

    private static string RepositoryRoot()
    {
        var directory = new DirectoryInfo(AppContext.BaseDirectory);
        while (directory is not null && !File.Exists(Path.Combine(directory.FullName, "Precision.Portal.sln")))
        {
            directory = directory.Parent;
        }

        return directory?.FullName ?? throw new InvalidOperationException("Run the tests inside the repository.");
    }
}
