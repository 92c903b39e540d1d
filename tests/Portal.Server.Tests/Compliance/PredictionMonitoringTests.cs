using System.Text.Json.Nodes;
using Precision.Clinical.Catalog;
using Precision.Inference.Features;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.Monitoring;
using Precision.Portal.Server.Audit;
using Precision.Portal.Server.Compliance.Monitoring;
using Precision.Portal.Server.Tests.Audit;

namespace Precision.Portal.Server.Tests.Compliance;

/// <summary>Model monitoring computed by the real audit stores (SQLite file, PostgreSQL schema) from recorded events of known content.</summary>
public sealed class PredictionMonitoringTests
{
    private static readonly TherapyCatalog Catalog = TherapyCatalogLoader.Load(TherapyCatalogLoader.FindDefault(AppContext.BaseDirectory));
    private static readonly FeatureSchema Current = new PatientFeaturizer(Catalog).Schema;

    /// <summary>The layout of models 1.x, whose events (without a recorded subgroup) the migrations read by position.</summary>
    private static readonly FeatureSchema Schema = Current.Earlier.Single(s => s.Layout == FeatureLayout.V1);
    private static readonly AuditActor Clinician = new("sub-clin", "Dr. Clara Imhof", ["clinician"]);

    // Monday 2026-05-04 … Sunday 2026-05-10 is the monitored window in most tests.
    private static readonly DateOnly Monday = new(2026, 5, 4);

    private static string TherapyA => Catalog.Therapies[0].Id;

    private static string TherapyB => Catalog.Therapies[1].Id;

    /// <summary>
    /// Details as <c>PatientPredictionService</c> records them: today with the subgroup recorded (<c>$.monitoring</c>) and the
    /// current layout's vector; <paramref name="legacy"/> as events were written before migration 0004 (no subgroup, a V1
    /// vector the migrations read by position). The feature vector is written by feature name.
    /// </summary>
    private static string PredictionDetails(string level, string? sex, int? age, string? cancer, string? schemaHash = null, bool legacy = false)
    {
        var schema = legacy ? Schema : Current;
        var clinical = new float[schema.Clinical.Count];
        void Set(string name, float value) => clinical[schema.Clinical.ToList().FindIndex(f => f.Name == name)] = value;
        Set("age_decades", age is { } a ? a / 10f : 6.5f);
        Set("age_missing", age is null ? 1 : 0);
        if (sex is not null)
        {
            Set("sex_" + sex, 1);
        }

        Set(cancer is null ? "diagnosis_missing" : "cancer_" + cancer, 1);
        Set("stage_4", 1);
        Set("lab_Albumin_position", 0.42f);
        var details = new JsonObject
        {
            ["modelVersion"] = legacy ? "1.1.0" : "2.0.0",
            ["onnxSha256"] = new string('c', 64),
            ["featureSchemaHash"] = schemaHash ?? schema.Hash,
            ["executionProvider"] = "CPU",
            ["asOf"] = "2026-05-04",
            ["priorLines"] = 1,
            ["whatIf"] = new JsonArray(),
            ["inputs"] = new JsonObject
            {
                ["clinical"] = new JsonArray([.. clinical.Select(v => (JsonNode?)v)]),
                ["genomic"] = new JsonArray([.. new float[schema.Genomic.Count].Select(v => (JsonNode?)v)]),
                ["sources"] = new JsonArray("Patient/p1/_history/1", "Condition/c1/_history/2"),
            },
            ["outputs"] = new JsonArray([.. Catalog.Therapies.Select(t => (JsonNode?)new JsonObject { ["therapy"] = t.Id, ["probability"] = 0.31 })]),
            ["applicability"] = new JsonObject { ["level"] = level, ["reasons"] = new JsonArray() },
        };
        if (!legacy)
        {
            details["monitoring"] = new JsonObject
            {
                ["sex"] = sex ?? "unknown",
                ["ageDecade"] = age is { } decade ? (decade / 10 * 10).ToString(System.Globalization.CultureInfo.InvariantCulture) : "unknown",
                ["cancerType"] = cancer ?? "unknown",
            };
        }

        return details.ToJsonString();
    }

    private static string FeedbackDetails(Guid prediction, string therapy, bool agrees) => new JsonObject
    {
        ["predictionAuditId"] = prediction.ToString(),
        ["therapy"] = therapy,
        ["agrees"] = agrees,
        ["reason"] = agrees ? null : "ContraindicationNotModelled",
        ["comment"] = null,
        ["modelVersion"] = "1.1.0",
    }.ToJsonString();

    private sealed class Recorder(IChainedAuditStore store, ManualTimeProvider clock)
    {
        public async Task<AuditEvent> At(DateOnly day, int hour, string action, string? details, AuditOutcome outcome = AuditOutcome.Success)
        {
            clock.Now = new DateTimeOffset(day.ToDateTime(new TimeOnly(hour, 17)), TimeSpan.Zero);
            return await store.AppendAsync(new NewAuditEvent(Clinician, action, outcome, "Patient/p1", "efficacy-model", details, "10.0.0.1", "c-1"));
        }

        public Task<AuditEvent> Prediction(DateOnly day, string level, string? sex, int? age, string? cancer, string action = AuditActions.PredictionCreate, string? schemaHash = null, bool legacy = false) =>
            At(day, 9, action, PredictionDetails(level, sex, age, cancer, schemaHash, legacy));

        public Task<AuditEvent> Feedback(DateOnly day, Guid prediction, string therapy, bool agrees) =>
            At(day, 15, AuditActions.PredictionFeedback, FeedbackDetails(prediction, therapy, agrees));
    }

    /// <summary>Seeds the week of <see cref="Monday"/> plus events just outside it; returns the expected contents in comments.</summary>
    private static async Task SeedWeekAsync(Recorder r)
    {
        // Outside the window (Sunday before, Monday after): must not count.
        var before = await r.Prediction(Monday.AddDays(-1), "OutOfDistribution", "female", 55, "Melanoma");
        await r.Feedback(Monday.AddDays(-1), before.Id, TherapyA, agrees: false);
        var after = await r.Prediction(Monday.AddDays(7), "OutOfDistribution", "male", 35, "Melanoma");
        await r.Feedback(Monday.AddDays(7), after.Id, TherapyA, agrees: false);

        // Monday: 3 predictions + 1 what-if (2 out of distribution, 1 caution); a failed prediction and a view do not count.
        var lung = await r.Prediction(Monday, "InDistribution", "female", 67, "NonSmallCellLungCancer");
        // Written before migration 0004 by model 1.1.0: no recorded subgroup, read from the V1 vector by position.
        var breast = await r.Prediction(Monday, "OutOfDistribution", "female", 45, "BreastCancer", legacy: true);
        await r.Prediction(Monday, "Caution", "male", 72, "ColorectalCancer");
        await r.Prediction(Monday, "OutOfDistribution", "male", 72, "ColorectalCancer", AuditActions.PredictionWhatIf);
        await r.At(Monday, 10, AuditActions.PredictionCreate, """{"modelVersion":"1.1.0","problem":"ModelNotServed"}""", AuditOutcome.Failure);
        await r.At(Monday, 11, AuditActions.PatientView, """{"queries":[]}""");

        // Wednesday: feedback on Monday's predictions — lung: A agrees, B disagrees; breast: A disagrees.
        var wednesday = Monday.AddDays(2);
        await r.Feedback(wednesday, lung.Id, TherapyA, agrees: true);
        await r.Feedback(wednesday, lung.Id, TherapyB, agrees: false);
        await r.Feedback(wednesday, breast.Id, TherapyA, agrees: false);

        // Sunday (last day, 23:xx): one prediction of an unknown feature schema, no sex/age recorded for another, and
        // feedback on a prediction the trail does not hold (pruned).
        var sunday = Monday.AddDays(6);
        await r.Prediction(sunday, "InDistribution", "female", 50, "Melanoma", schemaHash: new string('9', 64), legacy: true);
        await r.Prediction(sunday, "InDistribution", null, null, null);
        await r.At(sunday, 23, AuditActions.PredictionFeedback, FeedbackDetails(Guid.CreateVersion7(), TherapyB, agrees: true));
    }

    private static async Task<MonitoringReport> SeededReportAsync(AuditEngine engine, MonitoringQuery query)
    {
        using var db = new AuditTestDatabase(engine);
        var clock = new ManualTimeProvider(Monday.ToDateTime(TimeOnly.MinValue));
        await using var store = db.CreateStore(clock);
        await SeedWeekAsync(new Recorder(store, clock));
        return await new PredictionMonitoringService(store, Catalog).ReadAsync(query);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Daily_volume_out_of_distribution_and_disagreement_count_exactly_the_events_inside_the_window(AuditEngine engine)
    {
        var report = await SeededReportAsync(engine, new MonitoringQuery(Monday, Monday.AddDays(6)));

        Assert.Equal(MonitoringGranularity.Day, report.Granularity);
        Assert.Equal(Enumerable.Range(0, 7).Select(d => Monday.AddDays(d)), report.Buckets.Select(b => b.Start));
        var monday = report.Buckets[0];
        Assert.Equal((4, 2, 1, 0, 0), (monday.Predictions, monday.OutOfDistribution, monday.Caution, monday.Feedback, monday.Disagreements));
        var wednesday = report.Buckets[2];
        Assert.Equal((0, 3, 2), (wednesday.Predictions, wednesday.Feedback, wednesday.Disagreements));
        Assert.Equal(new MonitoringRate(2, 3), wednesday.DisagreementRate);
        var sunday = report.Buckets[6];
        Assert.Equal((2, 0, 1, 0), (sunday.Predictions, sunday.OutOfDistribution, sunday.Feedback, sunday.Disagreements));
        Assert.All(new[] { report.Buckets[1], report.Buckets[3], report.Buckets[4], report.Buckets[5] }, b => Assert.Equal((0, 0), (b.Predictions, b.Feedback)));
        Assert.Equal(6, report.Predictions);
        Assert.Equal(new MonitoringRate(2, 6), report.OutOfDistributionRate);
        Assert.Equal(new MonitoringRate(2, 4), report.DisagreementRate);
        Assert.True(report.DisagreementRate.IsSmall);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Disagreement_by_therapy_and_subgroups_follow_the_prediction_each_feedback_names(AuditEngine engine)
    {
        var report = await SeededReportAsync(engine, new MonitoringQuery(Monday, Monday.AddDays(6)));

        var byTherapy = report.ByTherapy.ToDictionary(t => t.TherapyId, t => (t.Feedback, t.Disagreements));
        Assert.Equal(new Dictionary<string, (int, int)> { [TherapyA] = (2, 1), [TherapyB] = (2, 1) }, byTherapy);
        Assert.Equal(Catalog.Therapies[0].DisplayName, report.ByTherapy.Single(t => t.TherapyId == TherapyA).TherapyName);

        SubgroupRow Row(string attribute, string group) => report.BySubgroup.Single(s => s.Attribute == attribute && s.Group == group);
        const string Sex = PredictionMonitoringService.SexAttribute;
        const string Age = PredictionMonitoringService.AgeBandAttribute;
        const string Cancer = PredictionMonitoringService.CancerTypeAttribute;

        // Female: lung (in distribution) + breast (out of distribution); their three feedbacks, two disagreeing.
        Assert.Equal((2, 1, 3, 2), Tuple(Row(Sex, "Female")));
        Assert.Equal((2, 1, 0, 0), Tuple(Row(Sex, "Male")));
        Assert.Equal((1, 0, 0, 0), Tuple(Row(Sex, PredictionMonitoringService.NotRecorded)));
        Assert.Equal((1, 0, 0, 0), Tuple(Row(Sex, PredictionMonitoringService.NotDerivable)));
        Assert.Equal((1, 0, 2, 1), Tuple(Row(Age, "60–69")));
        Assert.Equal((1, 1, 1, 1), Tuple(Row(Age, "40–49")));
        Assert.Equal((2, 1, 0, 0), Tuple(Row(Age, "70–79")));
        Assert.Equal((1, 0, 2, 1), Tuple(Row(Cancer, "Non-small cell lung cancer")));
        Assert.Equal((1, 1, 1, 1), Tuple(Row(Cancer, "Breast cancer")));
        Assert.Equal((2, 1, 0, 0), Tuple(Row(Cancer, "Colorectal cancer")));
        Assert.Equal((1, 0, 0, 0), Tuple(Row(Cancer, PredictionMonitoringService.NotDerivable)));
        Assert.DoesNotContain(report.BySubgroup, s => s.Group == "Melanoma" || s.Group == "30–39" || s.Group == "50–59");
        Assert.Equal(["Sex", "Age band", "Cancer type"], report.BySubgroup.Select(s => s.Attribute).Distinct());
        Assert.Equal(1, report.FeedbackWithoutPrediction);
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task Weekly_buckets_start_on_Monday_and_hold_the_same_totals(AuditEngine engine)
    {
        var report = await SeededReportAsync(engine, new MonitoringQuery(Monday.AddDays(-3), Monday.AddDays(9), MonitoringGranularity.Week));

        Assert.Equal(MonitoringGranularity.Week, report.Granularity);
        Assert.Equal([Monday.AddDays(-7), Monday, Monday.AddDays(7)], report.Buckets.Select(b => b.Start));
        Assert.Equal((1, 1, 1, 1), (report.Buckets[0].Predictions, report.Buckets[0].OutOfDistribution, report.Buckets[0].Feedback, report.Buckets[0].Disagreements));
        Assert.Equal((6, 2, 4, 2), (report.Buckets[1].Predictions, report.Buckets[1].OutOfDistribution, report.Buckets[1].Feedback, report.Buckets[1].Disagreements));
        Assert.Equal((1, 1, 1, 1), (report.Buckets[2].Predictions, report.Buckets[2].OutOfDistribution, report.Buckets[2].Feedback, report.Buckets[2].Disagreements));
    }

    [Theory]
    [MemberData(nameof(AuditEngines.All), MemberType = typeof(AuditEngines))]
    public async Task A_window_without_predictions_or_feedback_is_empty_with_zero_buckets(AuditEngine engine)
    {
        var report = await SeededReportAsync(engine, new MonitoringQuery(new DateOnly(2025, 1, 1), new DateOnly(2025, 1, 31)));

        Assert.True(report.IsEmpty);
        Assert.Equal(31, report.Buckets.Count);
        Assert.Empty(report.ByTherapy);
        Assert.Empty(report.BySubgroup);
        Assert.Null(report.OutOfDistributionRate.Value);
    }

    [Theory]
    [InlineData("2026-05-10", "2026-05-04", MonitoringGranularity.Auto, "before the start date")]
    [InlineData("2023-01-01", "2026-05-04", MonitoringGranularity.Auto, "at most 731 days")]
    [InlineData("2026-01-01", "2026-05-04", MonitoringGranularity.Day, "Choose weekly")]
    [InlineData("2026-01-01", "2026-05-04", (MonitoringGranularity)7, "Unknown granularity")]
    public async Task Bad_windows_are_refused_with_what_to_do_before_any_query(string from, string to, MonitoringGranularity granularity, string message)
    {
        var query = new MonitoringQuery(DateOnly.Parse(from, System.Globalization.CultureInfo.InvariantCulture), DateOnly.Parse(to, System.Globalization.CultureInfo.InvariantCulture), granularity);
        using var db = new AuditTestDatabase(AuditEngine.Sqlite);
        await using var store = db.CreateStore();

        var refused = await Assert.ThrowsAsync<MonitoringQueryException>(() => new PredictionMonitoringService(store, Catalog).ReadAsync(query));

        Assert.Contains(message, refused.Message, StringComparison.Ordinal);
        Assert.False(File.Exists(Path.Combine(db.Directory.Root, "audit.db")), "A refused window must not touch the store.");
    }

    [Fact]
    public void Automatic_granularity_is_daily_up_to_92_days_then_weekly()
    {
        Assert.Equal(MonitoringGranularity.Day, new MonitoringQuery(Monday, Monday.AddDays(91)).Resolved);
        Assert.Equal(MonitoringGranularity.Week, new MonitoringQuery(Monday, Monday.AddDays(92)).Resolved);
        Assert.Empty(new MonitoringQuery(Monday, Monday).Validate());
        Assert.Empty(new MonitoringQuery(Monday, Monday.AddDays(730)).Validate());
    }

    [Fact]
    public void The_migrations_know_the_served_feature_schema_and_its_positions()
    {
        // Events without a recorded subgroup (before 0004) are read by position for the schema hashes the migrations list.
        var assembly = typeof(SqliteAuditStore).Assembly;
        foreach (var dialect in new[] { "sqlite", "postgresql" })
        {
            foreach (var migration in new[] { "0003_prediction_monitoring", "0004_recorded_monitoring_subgroup" })
            {
                using var stream = assembly.GetManifestResourceStream($"Precision.Portal.Server.Audit.Migrations.{dialect}.{migration}.sql")!;
                var script = new StreamReader(stream).ReadToEnd();
                Assert.Contains(Schema.Hash, script, StringComparison.Ordinal);
            }

            using var recorded = assembly.GetManifestResourceStream($"Precision.Portal.Server.Audit.Migrations.{dialect}.0004_recorded_monitoring_subgroup.sql")!;
            Assert.Contains("monitoring", new StreamReader(recorded).ReadToEnd(), StringComparison.Ordinal);
        }

        string[] expected = ["age_decades", "age_missing", "sex_female", "sex_male", "cancer_Other", "cancer_NonSmallCellLungCancer", "cancer_ColorectalCancer",
            "cancer_BreastCancer", "cancer_Melanoma", "cancer_OvarianCancer", "cancer_PancreaticCancer"];
        Assert.Equal(expected, Schema.Clinical.Take(expected.Length).Select(f => f.Name));
        Assert.Equal(Schema.Hash, System.Text.Json.JsonDocument.Parse(File.ReadAllText(ModelManifest("1.1.0"))).RootElement.GetProperty("featureSchema").GetProperty("hash").GetString());
    }

    private static string ModelManifest(string version)
    {
        for (var dir = new DirectoryInfo(AppContext.BaseDirectory); dir is not null; dir = dir.Parent)
        {
            var path = Path.Combine(dir.FullName, "models", "efficacy", version, "manifest.json");
            if (File.Exists(path))
            {
                return path;
            }
        }

        throw new FileNotFoundException($"models/efficacy/{version}/manifest.json not found above {AppContext.BaseDirectory}.");
    }

    private static (int, int, int, int) Tuple(SubgroupRow row) => (row.Predictions, row.OutOfDistribution, row.Feedback, row.Disagreements);
}
