import { BarChart, LineChart, PieChart } from 'echarts/charts'
import { GridComponent, LegendComponent, MarkLineComponent, TooltipComponent } from 'echarts/components'
import { use } from 'echarts/core'
import { CanvasRenderer } from 'echarts/renderers'

/**
 * The ECharts parts the dashboard draws with, registered once: bars, lines and a donut on a canvas (a canvas
 * needs no inline styles, so the strict CSP holds).
 */
use([
  CanvasRenderer,
  BarChart,
  LineChart,
  PieChart,
  GridComponent,
  LegendComponent,
  MarkLineComponent,
  TooltipComponent,
])

/** The dashboard's colours: e-CNY red, cash green, awaiting amber, prepaid grey, target dark. */
export const COLOURS = {
  digital: '#d4380d',
  cash: '#389e0d',
  awaiting: '#d48806',
  prepaid: '#8c8c8c',
  depot: '#1d39c4',
  courier: '#d4380d',
  projected: '#adc6ff',
  delivered: '#1d39c4',
  target: '#262626',
} as const
