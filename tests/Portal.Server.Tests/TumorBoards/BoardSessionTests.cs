using System.Collections.Concurrent;
using System.Diagnostics;
using Precision.Portal.Client.Audit;
using Precision.Portal.Client.TumorBoards;
using Xunit.Abstractions;

namespace Precision.Portal.Server.Tests.TumorBoards;

/// <summary>The live session coordinator with many browsers at once, through the service as pages use it.</summary>
public sealed class BoardSessionTests(ITestOutputHelper output) : IDisposable
{
    private const int Participants = 12;
    private readonly BoardTestBed _bed = new();

    public void Dispose() => _bed.Dispose();

    [Fact]
    public async Task Twelve_participants_follow_the_presenter_see_presence_and_a_late_joiner_catches_up()
    {
        var chair = _bed.As("board", "Dr. Tomas Berg");
        var names = Enumerable.Range(1, Participants - 1).Select(i => $"member{i}").ToArray();
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting(names))).Value!;
        await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"));
        meeting = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p2", "Trial?"))).Value!;

        var browsers = new List<Browser> { await Browser.JoinAsync(chair, meeting.Id) };
        foreach (var name in names)
        {
            browsers.Add(await Browser.JoinAsync(_bed.As(name, "Member " + name), meeting.Id));
        }

        Assert.Equal(Participants, _bed.Audit.Entries.Count(e => e.Action == AuditActions.TumorBoardSessionJoin));
        await WaitAllAsync(browsers, s => s.Participants.Count == Participants, "everyone sees all 12 participants");
        Assert.All(browsers, b => Assert.Equal(meeting.Cases[0].Id, b.Latest.CurrentCaseId));
        Assert.All(browsers, b => Assert.Equal("board", b.Latest.PresenterUserName));

        // The presenter changes case, tab and therapy; everyone follows. Measured from the command to the last browser.
        var latencies = new List<double>();
        for (var round = 0; round < 20; round++)
        {
            var target = meeting.Cases[round % 2 == 0 ? 1 : 0].Id;
            var tab = BoardTabs.All[round % BoardTabs.All.Count];
            var watch = Stopwatch.StartNew();
            Assert.Null(browsers[0].Handle.ShowCase(target));
            Assert.Null(browsers[0].Handle.ShowTab(tab));
            await WaitAllAsync(browsers, s => s.CurrentCaseId == target && s.Tab == tab, $"round {round}");
            latencies.Add(watch.Elapsed.TotalMilliseconds);
        }

        latencies.Sort();
        output.WriteLine($"{Participants} participants, 20 rounds: case+tab reached every browser in p50 {latencies[10]:0.00} ms, max {latencies[^1]:0.00} ms");
        Assert.True(latencies[^1] < 1000, $"slowest round {latencies[^1]} ms");

        // Only the presenter drives; the presenter hands over; the chair takes it back.
        Assert.Equal("Only the presenter (Dr. Tomas Berg) drives the session.", browsers[3].Handle.ShowTab(BoardTabs.Genomics));
        Assert.Null(browsers[0].Handle.HandOver("member2"));
        await WaitAllAsync(browsers, s => s.PresenterUserName == "member2", "hand-over");
        Assert.Null(browsers[2].Handle.SelectTherapy("osimertinib"));
        await WaitAllAsync(browsers, s => s.SelectedTherapyId == "osimertinib", "therapy");
        Assert.Equal("Only the presenter (Member member2) drives the session.", browsers[0].Handle.ShowCase(meeting.Cases[0].Id));
        Assert.Equal("Only the chair can take the presenter role back.", browsers[5].Handle.TakeOver());
        Assert.Null(browsers[0].Handle.TakeOver());
        await WaitAllAsync(browsers, s => s.PresenterUserName == "board", "take-over");
        Assert.Equal("nobody is not in the session; only someone who is here can present.", browsers[0].Handle.HandOver("nobody"));

        // A dropped connection hides the participant; leaving removes them.
        browsers[4].Handle.SetConnected(false);
        await WaitAllAsync(browsers.Where(b => b != browsers[4]), s => s.Participants.Count == Participants - 1 && !s.IsPresent("member4"), "connection down");
        browsers[4].Handle.SetConnected(true);
        await WaitAllAsync(browsers, s => s.Participants.Count == Participants, "connection up");
        browsers[7].Handle.Dispose();
        var remaining = browsers.Where(b => b != browsers[7]).ToList();
        await WaitAllAsync(remaining, s => s.Participants.Count == Participants - 1 && !s.IsPresent("member7"), "left");

        // A late joiner lands on the current case, tab and therapy at once.
        var expected = browsers[0].Latest;
        var late = await Browser.JoinAsync(_bed.As("member7", "Member member7"), meeting.Id);
        Assert.Equal(expected.CurrentCaseId, late.Handle.State.CurrentCaseId);
        Assert.Equal(expected.Tab, late.Handle.State.Tab);
        Assert.Equal("osimertinib", late.Handle.State.SelectedTherapyId);
        await WaitAllAsync([.. remaining, late], s => s.Participants.Count == Participants, "late joiner present");

        // The same person in two windows counts once, with two connections.
        var second = await Browser.JoinAsync(_bed.As("member1", "Member member1"), meeting.Id);
        await WaitAllAsync([second], s => s.Participants.Single(p => p.UserName == "member1").Connections == 2, "two windows");
        foreach (var b in remaining.Append(late).Append(second))
        {
            b.Handle.Dispose();
        }

        Assert.Empty(_bed.Sessions.StateOf(meeting.Id)!.Participants);
    }

    [Fact]
    public async Task Notifications_from_many_threads_never_go_back_in_revision()
    {
        var chair = _bed.As("board", "Dr. Tomas Berg");
        var meeting = (await chair.CreateMeetingAsync(BoardTestBed.Meeting("board2"))).Value!;
        meeting = (await chair.AddCaseAsync(meeting.Id, new NewBoardCase("p1", "Options?"))).Value!;
        var presenter = await Browser.JoinAsync(chair, meeting.Id);
        var follower = await Browser.JoinAsync(_bed.As("board2"), meeting.Id);

        await Parallel.ForAsync(0, 200, async (i, _) =>
        {
            presenter.Handle.ShowTab(BoardTabs.All[i % BoardTabs.All.Count]);
            await Task.Yield();
        });

        var final = presenter.Handle.State;
        await WaitAllAsync([follower], s => s.Revision == final.Revision, "final revision");
        Assert.Equal(final.Tab, follower.Latest.Tab);
        var seen = follower.Revisions.ToList();
        Assert.Equal(seen.Order(), seen);
    }

    private static async Task WaitAllAsync(IEnumerable<Browser> browsers, Func<BoardSessionState, bool> condition, string what)
    {
        var deadline = Stopwatch.StartNew();
        var list = browsers.ToList();
        while (!list.All(b => condition(b.Latest)))
        {
            if (deadline.Elapsed > TimeSpan.FromSeconds(5))
            {
                Assert.Fail($"Not every browser saw: {what}");
            }

            await Task.Delay(1);
        }
    }

    /// <summary>One browser: the states its page would render, in the order they arrive.</summary>
    private sealed class Browser
    {
        private volatile BoardSessionState? _latest;

        public IBoardSessionHandle Handle { get; private set; } = null!;

        public ConcurrentQueue<long> Revisions { get; } = new();

        public BoardSessionState Latest => _latest ?? Handle.State;

        public static async Task<Browser> JoinAsync(Precision.Portal.Server.TumorBoards.TumorBoardService boards, Guid meetingId)
        {
            var browser = new Browser();
            var joined = await boards.JoinSessionAsync(meetingId, state =>
            {
                browser.Revisions.Enqueue(state.Revision);
                browser._latest = state;
                return Task.CompletedTask;
            });
            browser.Handle = joined.Value ?? throw new InvalidOperationException(joined.Error);
            return browser;
        }
    }
}
