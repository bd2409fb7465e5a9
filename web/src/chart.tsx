// Line charts with uPlot (small, no dependencies): x is a step or a time, one series per line,
// optional horizontal threshold lines drawn dashed.
import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';

export interface Series {
  label: string;
  /** y values aligned with the chart's x; null is a gap. */
  values: (number | null)[];
}

export interface Threshold {
  label: string;
  value: number;
}

const kColors = ['#2563eb', '#dc2626', '#16a34a', '#9333ea', '#ea580c', '#0891b2', '#4b5563'];
const kThresholdColors = ['#d97706', '#b91c1c'];

export function LineChart(props: {
  title: string;
  x: number[];
  series: Series[];
  time?: boolean;
  thresholds?: Threshold[];
  width?: number;
  height?: number;
  testid?: string;
}) {
  const host = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!host.current) return;
    const thresholds = props.thresholds ?? [];
    const data: uPlot.AlignedData = [
      props.time ? props.x.map((t) => t / 1000) : props.x,
      ...props.series.map((s) => s.values),
      ...thresholds.map((t) => props.x.map(() => t.value)),
    ];
    const opts: uPlot.Options = {
      title: props.title,
      width: props.width ?? 420,
      height: props.height ?? 220,
      scales: { x: { time: !!props.time } },
      series: [
        { label: props.time ? 'time' : 'step' },
        ...props.series.map((s, i) => ({
          label: s.label,
          stroke: kColors[i % kColors.length],
          width: 2,
          points: { show: props.x.length < 40 },
          spanGaps: false,
        })),
        ...thresholds.map((t, i) => ({
          label: t.label,
          stroke: kThresholdColors[i % kThresholdColors.length],
          dash: [6, 4],
          width: 1,
          points: { show: false },
        })),
      ],
      axes: [{}, { size: 60 }],
      legend: { show: true },
    };
    const plot = new uPlot(opts, data, host.current);
    return () => plot.destroy();
  }, [props.title, props.x, props.series, props.thresholds, props.time]);
  return <div class="chart" data-testid={props.testid} ref={host} />;
}
