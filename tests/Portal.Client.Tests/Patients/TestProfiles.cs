using Precision.Clinical;

namespace Precision.Portal.Client.Tests.Patients;

/// <summary>Patient profiles built in the tests, the way the mapper fills them.</summary>
internal static class TestProfiles
{
    public static readonly SourceReference Patient = new("Patient", "p1");

    public static PrimaryCancerCondition Lung(string id = "cond-lung") =>
        new(CancerType.NonSmallCellLungCancer, new CodedConcept("http://snomed.info/sct", "254637007", "Non-small cell lung cancer (disorder)"), "C34.90",
            new DateOnly(2023, 3, 1), "Upper lobe of left lung", new SourceReference("Condition", id))
        {
            ClinicalStatus = "active",
        };

    /// <summary>A cancer the model does not cover: the record's own words, with the mapper's note.</summary>
    public static PrimaryCancerCondition Mesothelioma(string id = "cond-meso") =>
        new(CancerType.Other, new CodedConcept("http://snomed.info/sct", "62064005", "Malignant mesothelioma of pleura"), "C45.0",
            new DateOnly(2024, 6, 10), "Pleura", new SourceReference("Condition", id))
        {
            ClassificationNote = "SNOMED CT 62064005 names a cancer outside the model's six cancer types.",
        };

    public static PatientProfile Build(
        IReadOnlyList<PrimaryCancerCondition>? cancers = null,
        IReadOnlyList<GenomicVariant>? variants = null,
        IReadOnlyList<CopyNumberAlteration>? copyNumbers = null,
        IReadOnlyList<TherapyLine>? lines = null,
        string name = "Ada Example",
        IReadOnlyList<DataQualityIssue>? issues = null) =>
        new(
            "p1",
            new PatientDemographics(name, "MRN-0001", new DateOnly(1958, 4, 2), AdministrativeSex.Female, null, null, Patient),
            cancers ?? [Lung()],
            new StageGroup("IVA", false, new DateOnly(2024, 1, 5), new SourceReference("Observation", "stage")),
            new EcogPerformanceStatus(1, new DateOnly(2024, 1, 5), new SourceReference("Observation", "ecog")),
            null,
            [],
            lines ?? [],
            variants ?? [],
            [],
            copyNumbers ?? [],
            null,
            null,
            null,
            null,
            null,
            [],
            issues ?? []);

    public static SecondaryCancerCondition Metastasis(string site, string id, SourceReference? primary) =>
        new(new CodedConcept("http://snomed.info/sct", "94222008", "Secondary malignant neoplasm of " + site), site, new DateOnly(2024, 2, 1), primary, new SourceReference("Condition", id));
}
