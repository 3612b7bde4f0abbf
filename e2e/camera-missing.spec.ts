import { expect, test } from './support/fixtures'

// A handheld whose camera is not there (this Chromium has no camera at all) says so, in words, and the courier can
// close it and type the code instead.
test('with no camera, the camera screen says none was found, and closes back to the scan screen', async ({
  courier,
  page,
}) => {
  await courier.tap('camera-open')
  await expect(courier.byId('camera-problem')).toHaveText('未找到摄像头，请手动输入。')
  await page.getByTestId('camera-close').click()
  await expect(courier.byId('camera-scanner')).toBeHidden()
})
