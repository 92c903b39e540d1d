using System.Text.Json.Nodes;
using Precision.Inference.Features;
using Precision.Inference.Runtime;

namespace Precision.Inference.Tests.Runtime;

[Collection(ModelFixtureGroup.Name)]
public sealed class ModelRegistryTests(ModelFixture fixture)
{
    private static ModelRegistry Registry(string directory) => new(directory, TestModels.CurrentFeaturizer.Schema);

    [Fact]
    public void The_committed_model_verifies_against_this_code_and_is_listed()
    {
        var registry = Registry(TestModels.CommittedDirectory);

        var versions = registry.ListVersions();
        var committed = Assert.Single(versions, v => v.Version == TestModels.CommittedVersion);
        Assert.True(committed.IsValid, string.Join(" ", committed.Problems));
        Assert.Equal(5, committed.Model!.EnsembleMembers);
        Assert.Equal(32, committed.Model.EmbeddingWidth);
        Assert.Equal("3900a5e7ff3bf6bb640858d90554954d5e87d257112bb61c4261b6b6c5c811db", committed.Model.OnnxSha256);
        Assert.Null(committed.Model.ReferencePopulation);
        Assert.True(registry.Select(null).IsServable);
    }

    [Theory]
    [InlineData("1.1.0")]
    [InlineData("1.2.0")]
    [InlineData("2.0.0")]
    public void Models_with_a_reference_population_verify_as_trained_and_the_highest_is_served_by_default(string version)
    {
        var registry = Registry(TestModels.CommittedDirectory);

        var check = registry.Verify(version);
        var selection = registry.Select(null);

        Assert.True(check.IsValid, string.Join(" ", check.Problems));
        var reference = check.Model!.ReferencePopulation!;
        // Each version's ranges are over its own feature layout (V1 for 1.x, V2 for 2.0.0).
        Assert.Equal(version.StartsWith("1.", StringComparison.Ordinal) ? FeatureLayout.V1 : FeatureLayout.V2, check.Model!.Schema.Layout);
        Assert.Equal(check.Model.Schema.Clinical.Count + check.Model.Schema.Genomic.Count, reference.FeatureRanges!.Count);
        Assert.InRange(reference.Neighbours!.Patients!.Count, 1, 2000);
        Assert.InRange(reference.Background!.Rows!.Count, 1, 200);
        Assert.Equal("2.0.0", selection.Model?.Version);
    }

    [Fact]
    public void A_model_file_with_one_byte_changed_is_refused_naming_the_file_both_hashes_and_the_fix()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.CorruptOneByte("1.0.0", "model.onnx");

        var check = Registry(directory.Path).Verify("1.0.0");

        Assert.False(check.IsValid);
        var problem = Assert.Single(check.Problems);
        Assert.Contains(Path.Combine(directory.Folder("1.0.0"), "model.onnx"), problem, StringComparison.Ordinal);
        Assert.Contains("expects 3900a5e7ff3bf6bb640858d90554954d5e87d257112bb61c4261b6b6c5c811db", problem, StringComparison.Ordinal);
        Assert.Matches("SHA-256 is [0-9a-f]{64}", problem);
        Assert.Contains("restore it from the repository", problem, StringComparison.Ordinal);
        var selection = Registry(directory.Path).Select(null);
        Assert.False(selection.IsServable);
        Assert.Contains("No model version", selection.Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_with_another_feature_schema_hash_is_refused_with_expected_and_found()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.EditManifest("1.0.0", m => m["featureSchema"]!["hash"] = new string('a', 64));

        var problem = Assert.Single(Registry(directory.Path).Verify("1.0.0").Problems);

        Assert.Contains($"feature schema hash is {new string('a', 64)} but this portal's featurizer has {TestModels.Featurizer.Schema.Hash}", problem, StringComparison.Ordinal);
        Assert.Contains("retrain", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_manifest_whose_features_differ_names_the_first_differing_feature()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.EditManifest("1.0.0", m =>
        {
            m["featureSchema"]!["hash"] = new string('b', 64);
            m["featureSchema"]!["clinical"]![2] = "sex_unknown";
        });

        var problem = Registry(directory.Path).Verify("1.0.0").Problems[0];

        Assert.Contains("clinical #3 is 'sex_unknown' in the model and 'sex_female' in the code", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void Another_therapy_list_or_catalog_version_is_refused()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.EditManifest("1.0.0", m => m["therapyCatalogVersion"] = "0.9.0");
        directory.Add(asVersion: "1.0.1");
        directory.EditManifest("1.0.1", m => m["therapies"]!.AsArray().RemoveAt(0));

        var catalog = Assert.Single(Registry(directory.Path).Verify("1.0.0").Problems);
        var therapies = Assert.Single(Registry(directory.Path).Verify("1.0.1").Problems);

        Assert.Contains("therapy catalog version is 0.9.0 but the portal loads catalog 1.0.0", catalog, StringComparison.Ordinal);
        Assert.Contains("therapy list differs", therapies, StringComparison.Ordinal);
        Assert.Contains("therapy #1 is 'alectinib' in the model and 'osimertinib' in the code", therapies, StringComparison.Ordinal);
    }

    [Fact]
    public void Manifest_inputs_that_differ_from_the_code_are_refused()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.EditManifest("1.0.0", m => m["inputs"]![0]!["shape"]![1] = 51);

        var problem = Assert.Single(Registry(directory.Path).Verify("1.0.0").Problems);

        Assert.Contains("input 'clinical' is float32 [N, 51], expected float32 [N, 52]", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void A_missing_or_changed_reference_population_is_refused()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.Add(asVersion: "1.0.1");
        foreach (var version in new[] { "1.0.0", "1.0.1" })
        {
            foreach (var file in new[] { ModelManifest.FileName, ReferencePopulation.DefaultFileName })
            {
                File.Copy(Path.Combine(fixture.Directory.Folder("1.0.0"), file), Path.Combine(directory.Folder(version), file), overwrite: true);
            }
        }

        directory.EditManifest("1.0.1", m => m["modelVersion"] = "1.0.1");
        Assert.True(Registry(directory.Path).Verify("1.0.0").IsValid);
        File.Delete(Path.Combine(directory.Folder("1.0.0"), ReferencePopulation.DefaultFileName));
        directory.CorruptOneByte("1.0.1", ReferencePopulation.DefaultFileName, offset: 200);

        var missing = Assert.Single(Registry(directory.Path).Verify("1.0.0").Problems);
        var changed = Assert.Single(Registry(directory.Path).Verify("1.0.1").Problems);

        Assert.Contains($"{Path.Combine(directory.Folder("1.0.0"), ReferencePopulation.DefaultFileName)} is missing but manifest.json lists it", missing, StringComparison.Ordinal);
        Assert.Contains("reference-population.json: SHA-256 is", changed, StringComparison.Ordinal);
    }

    [Fact]
    public void A_reference_population_for_another_model_version_is_refused()
    {
        using var directory = TempModelDirectory.CopyOf();
        foreach (var file in new[] { ModelManifest.FileName, ReferencePopulation.DefaultFileName })
        {
            File.Copy(Path.Combine(fixture.Directory.Folder("1.0.0"), file), Path.Combine(directory.Folder("1.0.0"), file), overwrite: true);
        }

        var path = Path.Combine(directory.Folder("1.0.0"), ReferencePopulation.DefaultFileName);
        var reference = JsonNode.Parse(File.ReadAllText(path))!;
        reference["modelVersion"] = "0.9.0";
        File.WriteAllText(path, reference.ToJsonString());
        var sha = Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(File.ReadAllBytes(path)));
        directory.EditManifest("1.0.0", m => m["referencePopulation"]!["sha256"] = sha);

        var problem = Assert.Single(Registry(directory.Path).Verify("1.0.0").Problems);

        Assert.Contains("reference-population.json: modelVersion is 0.9.0 but the manifest is for 1.0.0", problem, StringComparison.Ordinal);
    }

    [Fact]
    public void By_default_the_highest_valid_version_is_served_and_broken_higher_versions_are_reported()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.Add(asVersion: "1.2.0");
        directory.Add(asVersion: "1.10.0");
        directory.CorruptOneByte("1.10.0", "model.onnx");

        var selection = Registry(directory.Path).Select(null);

        Assert.Equal("1.2.0", selection.Model?.Version);
        Assert.Equal(["1.10.0", "1.2.0"], selection.Checked.Select(c => c.Version));
        Assert.False(selection.Checked[0].IsValid);
        Assert.Equal(["1.10.0", "1.2.0", "1.0.0"], Registry(directory.Path).PresentVersions());
    }

    [Fact]
    public void A_configured_version_must_be_present_and_valid()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.Add(asVersion: "1.1.0");
        directory.CorruptOneByte("1.1.0", "model.onnx");

        var absent = Registry(directory.Path).Select("2.0.0");
        var broken = Registry(directory.Path).Select("1.1.0");
        var older = Registry(directory.Path).Select("1.0.0");

        Assert.Contains("Model:Version is 2.0.0, but", absent.Refusal, StringComparison.Ordinal);
        Assert.Contains("holds only 1.1.0, 1.0.0", absent.Refusal, StringComparison.Ordinal);
        Assert.Contains("Model 1.1.0 (set by Model:Version) is refused", broken.Refusal, StringComparison.Ordinal);
        Assert.Equal("1.0.0", older.Model?.Version);
    }

    [Fact]
    public void A_folder_whose_manifest_names_another_version_or_is_not_json_is_refused()
    {
        using var directory = TempModelDirectory.CopyOf();
        directory.Add(asVersion: "1.0.1");
        directory.EditManifest("1.0.1", m => m["modelVersion"] = "1.0.0");
        directory.Add(asVersion: "1.0.2");
        File.WriteAllText(Path.Combine(directory.Folder("1.0.2"), ModelManifest.FileName), "{ not json");

        Assert.Contains("says modelVersion '1.0.0' but it sits in folder '1.0.1'", Registry(directory.Path).Verify("1.0.1").Problems[0], StringComparison.Ordinal);
        Assert.Contains("is not valid JSON", Registry(directory.Path).Verify("1.0.2").Problems[0], StringComparison.Ordinal);
        Assert.Contains("does not exist", Registry(Path.Combine(directory.Path, "nowhere")).Select(null).Refusal, StringComparison.Ordinal);
    }

    [Fact]
    public void The_default_directory_is_found_by_walking_up_from_a_start_folder()
    {
        var found = ModelRegistry.FindDefaultDirectory(null, Path.Combine(TestModels.Root, "src", "Inference", "Runtime"));

        Assert.Equal(TestModels.CommittedDirectory, found);
        Assert.Null(ModelRegistry.FindDefaultDirectory(Path.GetTempPath()));
    }
}
