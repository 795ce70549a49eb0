using Collectors.Evidence;

namespace Collectors.Tests.Evidence;

[TestClass]
public sealed class WindowPlannerTests
{
    private static readonly DateTimeOffset Now = new(2026, 11, 26, 10, 7, 30, TimeSpan.Zero);

    private static WindowPlanner Planner(int maxPerRun = 96) =>
        new(TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(20), maxPerRun, TimeSpan.FromHours(1));

    [TestMethod]
    public void NewestWindowEndsAtLeastTheLagBeforeNow()
    {
        var windows = Planner().PlanRun(null, Now);

        Assert.AreEqual(new DateTimeOffset(2026, 11, 26, 9, 45, 0, TimeSpan.Zero), windows[^1].End, "10:07:30 − 20 min = 09:47:30, floored to the grid");
        Assert.AreEqual(new DateTimeOffset(2026, 11, 26, 8, 45, 0, TimeSpan.Zero), windows[0].Start, "first run looks back one hour");
        Assert.HasCount(4, windows);
    }

    [TestMethod]
    public void CatchesUpFromTheCursorUpToThePerRunCap()
    {
        var cursor = new DateTimeOffset(2026, 11, 25, 0, 0, 0, TimeSpan.Zero);

        var windows = Planner(maxPerRun: 10).PlanRun(cursor, Now);

        Assert.HasCount(10, windows);
        Assert.AreEqual(cursor, windows[0].Start);
        for (var i = 1; i < windows.Count; i++)
        {
            Assert.AreEqual(windows[i - 1].End, windows[i].Start, "windows abut");
        }
    }

    [TestMethod]
    public void PlansNothingWhenTheCursorIsAtTheHorizon()
    {
        var windows = Planner().PlanRun(new DateTimeOffset(2026, 11, 26, 9, 45, 0, TimeSpan.Zero), Now);

        Assert.IsEmpty(windows);
    }

    [TestMethod]
    public void BackfillRoundsOutToTheGridAndRefusesWindowsInsideTheLag()
    {
        var planner = Planner();
        var windows = planner.PlanBackfill(new DateTimeOffset(2026, 11, 25, 23, 50, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 26, 0, 20, 0, TimeSpan.Zero), Now);

        Assert.AreEqual(new DateTimeOffset(2026, 11, 25, 23, 45, 0, TimeSpan.Zero), windows[0].Start);
        Assert.AreEqual(new DateTimeOffset(2026, 11, 26, 0, 30, 0, TimeSpan.Zero), windows[^1].End);
        Assert.HasCount(3, windows);
        var ex = Assert.ThrowsExactly<ArgumentException>(() => planner.PlanBackfill(Now.AddHours(-2), Now, Now));
        StringAssert.Contains(ex.Message, "lag");
    }

    [TestMethod]
    public void RejectsGridsThatDoNotDivideADay()
    {
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WindowPlanner(TimeSpan.FromMinutes(7), TimeSpan.Zero, 1, TimeSpan.Zero));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WindowPlanner(TimeSpan.FromMinutes(15), TimeSpan.FromMinutes(-1), 1, TimeSpan.Zero));
        Assert.ThrowsExactly<ArgumentOutOfRangeException>(() => new WindowPlanner(TimeSpan.FromMinutes(15), TimeSpan.Zero, 0, TimeSpan.Zero));
    }
}
