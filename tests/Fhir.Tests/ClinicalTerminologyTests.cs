using System.Text;
using Precision.Clinical;
using Precision.Clinical.Catalog;
using Precision.Clinical.Terminology;

namespace Precision.Fhir.Tests;

/// <summary>The versioned terminology tables: they load, they refuse rows without a source, and they agree with the catalog.</summary>
public sealed class ClinicalTerminologyTests
{
    [Fact]
    public void The_embedded_tables_load_with_their_versions()
    {
        Assert.Equal("1.0.0", ClinicalTerminology.CancerTypes.Version);
        Assert.Equal("1.0.0", ClinicalTerminology.Antineoplastics.Version);
        Assert.True(ClinicalTerminology.CancerTypes.Knows("254637007"));
    }

    [Fact]
    public void Every_catalog_ingredient_is_an_antineoplastic_agent_or_a_regimen_companion_with_the_same_rxnorm_code()
    {
        var catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault());
        foreach (var medication in catalog.Therapies.SelectMany(t => t.Medications))
        {
            var classification = ClinicalTerminology.Antineoplastics.Classify([new CodedConcept(CodeSystems.RxNorm, medication.RxNormCode, medication.Name)], medication.Name);
            Assert.NotEqual(MedicationKind.NotAntineoplastic, classification.Kind);
            Assert.StartsWith("RxNorm", classification.How, StringComparison.Ordinal);
        }
    }

    [Theory]
    [InlineData("Ondansetron 8 MG Oral Tablet", MedicationKind.NotAntineoplastic)]
    [InlineData("Etoposide 100 MG Injection", MedicationKind.Antineoplastic)]
    [InlineData("leucovorin calcium", MedicationKind.RegimenCompanion)]
    [InlineData("dexamethasone 4 MG", MedicationKind.NotAntineoplastic)]
    public void Medications_are_classified_by_name_when_their_code_is_not_listed(string text, MedicationKind expected) =>
        Assert.Equal(expected, ClinicalTerminology.Antineoplastics.Classify([], text).Kind);

    [Fact]
    public void An_atc_code_in_the_antineoplastic_classes_counts_and_others_do_not()
    {
        Assert.Equal(MedicationKind.Antineoplastic, ClinicalTerminology.Antineoplastics.Classify([new CodedConcept(CodeSystems.WhoAtc, "L01XX99", "some new agent")], null).Kind);
        Assert.Equal(MedicationKind.NotAntineoplastic, ClinicalTerminology.Antineoplastics.Classify([new CodedConcept(CodeSystems.WhoAtc, "A10BA02", "metformin")], null).Kind);
    }

    [Fact]
    public void A_table_row_without_a_source_or_with_an_unknown_type_is_refused_with_its_problem_named()
    {
        const string json = """
            { "version": "9", "sources": { "a": "somewhere" },
              "snomed": [ { "code": "1", "display": "x", "role": "primary", "cancerType": "Sarcoma", "source": "a" },
                          { "code": "2", "display": "y", "role": "primary", "source": "nowhere" } ],
              "icd10cm": [ { "prefix": "C", "role": "primary", "source": "a" } ],
              "icdO3Morphology": [ { "from": 8000, "to": 8001, "histology": "carcinoma" } ] }
            """;
        var ex = Assert.Throws<InvalidDataException>(() => ClinicalTerminology.LoadCancerTypes(new MemoryStream(Encoding.UTF8.GetBytes(json)), "broken.json"));
        Assert.Contains("unknown cancer type 'Sarcoma'", ex.Message, StringComparison.Ordinal);
        Assert.Contains("source 'nowhere'", ex.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_table_whose_sections_did_not_load_is_refused()
    {
        const string json = """{ "version": "9", "sources": {}, "snomed": [] }""";
        var ex = Assert.Throws<InvalidDataException>(() => ClinicalTerminology.LoadCancerTypes(new MemoryStream(Encoding.UTF8.GetBytes(json)), "empty.json"));
        Assert.Contains("must each list at least one row", ex.Message, StringComparison.Ordinal);
    }
}
